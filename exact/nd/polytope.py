"""Exact convex polytopes in any dimension: the only module of :mod:`exact.nd` that compares coordinates.

A point of ``R^d`` is a homogeneous integer tuple ``(X_1, ..., X_d, D)`` with ``D > 0``
and ``gcd = 1`` (the point ``X / D``; so each point has one spelling).  A row is an
integer tuple ``(a_1, ..., a_d, c)``, the affine function ``a . x + c``; a polytope keeps
the points where each of its rows is ``>= 0``.

A :class:`Polytope` is kept in both descriptions at once (the double description of
Motzkin et al. [1]_): its rows, and its vertices, each with the set of rows *tight* at it
(a bit mask).  Cutting by a hyperplane (:func:`split`) needs only the signs of the
hyperplane at the vertices, exact integers, and which vertex pairs are edges, decided
combinatorially from the tight sets: vertices ``u != v`` span an edge iff no third
vertex is tight at every row tight at both ([2]_, Prop. 2.4 ff.: the smallest face
holding ``u`` and ``v`` is cut out by those rows; a face with two vertices is a
segment).  That test is exact in degenerate polytopes too (more than ``d`` rows tight
at a vertex), provided every tight set is complete, which :func:`split` keeps true.  When
one of the two is simple (exactly ``d`` rows tight, hence independent), any ``d - 1`` rows
tight at both cut out a line, so the pair is an edge without asking the other vertices.

References
----------
.. [1] T. S. Motzkin, H. Raiffa, G. L. Thompson, R. M. Thrall, "The double description
   method", *Contributions to the Theory of Games II*, Princeton, 1953.
.. [2] K. Fukuda, *Lecture: Polyhedral Computation*, ETH Zurich, 2016, §2 and §9.

Examples
--------
>>> cube = box([Fraction(-1)] * 3, [Fraction(1)] * 3)
>>> len(cube.verts), len(cube.rows)
(8, 6)
>>> side, above, below = split(cube, (1, 1, 1, 0))   # the plane x + y + z = 0
>>> side, len(above.verts), len(below.verts)         # 4 corners each + the hexagon's 6
(2, 10, 10)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from operator import mul

import numpy as np

__all__ = [
    "HPoint",
    "Polytope",
    "Row",
    "box",
    "contains",
    "determinant",
    "facet_rows",
    "interior_point",
    "neighbours",
    "pair_table_bytes",
    "point_from_fractions",
    "point_to_fractions",
    "primitive",
    "rank",
    "row_sign",
    "split",
    "unoriented",
    "vertex_masks",
]

HPoint = tuple[int, ...]
"""A homogeneous integer point ``(X_1, ..., X_d, D)``, ``D > 0``, gcd 1: the point ``X / D``."""

Row = tuple[int, ...]
"""An integer row ``(a_1, ..., a_d, c)``: the affine function ``a . x + c`` (kept side ``>= 0``)."""


class Polytope:
    """A bounded convex polytope with exact vertices, rows, and the rows tight at each vertex.

    Attributes
    ----------
    verts : list of HPoint
        The vertices.
    tight : list of int
        ``tight[i]`` has bit ``r`` set iff ``rows[r]`` is zero at ``verts[i]`` (complete:
        every row zero there is set).
    rows : tuple of Row
        The polytope is ``{x : row(x) >= 0 for every row}``; some rows may be redundant
        (:func:`facet_rows` tells which are not).

    Examples
    --------
    >>> p = box([Fraction(0)], [Fraction(1, 2)])     # the interval [0, 1/2]
    >>> p.verts, p.tight, p.rows
    ([(0, 1), (1, 2)], [1, 2], ((1, 0), (-2, 1)))
    """

    __slots__ = ("verts", "tight", "rows")

    def __init__(self, verts: list[HPoint], tight: list[int], rows: tuple[Row, ...]):
        self.verts = verts
        self.tight = tight
        self.rows = rows

    def __repr__(self) -> str:
        return f"Polytope(n_vertices={len(self.verts)}, n_rows={len(self.rows)})"


def primitive(v: Sequence[int]) -> tuple[int, ...]:
    """Divide an integer tuple by the gcd of its entries (its sign kept).

    Parameters
    ----------
    v : sequence of int

    Returns
    -------
    tuple of int
        ``v / gcd(v)``; ``v`` itself when the gcd is 0 or 1.

    Examples
    --------
    >>> primitive((4, -6, 2))
    (2, -3, 1)
    """
    g = math.gcd(*v)
    return tuple([x // g for x in v]) if g > 1 else tuple(v)


def unoriented(row: Row) -> Row:
    """Return the hyperplane of a row, independent of its scale and orientation.

    Parameters
    ----------
    row : Row
        A row whose ``a`` part is not zero.

    Returns
    -------
    Row
        The primitive row with its first nonzero entry positive.

    Examples
    --------
    >>> unoriented((-2, 4, 6)) == unoriented((1, -2, -3))
    True
    """
    p = primitive(row)
    first = next(x for x in p if x)
    return p if first > 0 else tuple(-x for x in p)


def point_from_fractions(coords: Sequence[Fraction]) -> HPoint:
    """Spell an exact point as a homogeneous integer tuple.

    Parameters
    ----------
    coords : sequence of Fraction, shape (d,)

    Returns
    -------
    HPoint

    Examples
    --------
    >>> point_from_fractions([Fraction(1, 2), Fraction(-1, 3), Fraction(2)])
    (3, -2, 12, 6)
    """
    den = math.lcm(*(c.denominator for c in coords)) if coords else 1
    return primitive(tuple(c.numerator * (den // c.denominator) for c in coords) + (den,))


def point_to_fractions(p: HPoint) -> tuple[Fraction, ...]:
    """Return the coordinates of a homogeneous point.

    Parameters
    ----------
    p : HPoint

    Returns
    -------
    tuple of Fraction, shape (d,)

    Examples
    --------
    >>> point_to_fractions((3, -2, 6))
    (Fraction(1, 2), Fraction(-1, 3))
    """
    return tuple(Fraction(x, p[-1]) for x in p[:-1])


def row_sign(row: Row, p: HPoint) -> int:
    """Return the exact sign of the row's affine function at a point.

    Parameters
    ----------
    row : Row
    p : HPoint

    Returns
    -------
    int
        -1, 0 or 1.

    Examples
    --------
    >>> row_sign((1, 1, -1), (1, 2, 3))        # x + y - 1 at (1/3, 2/3)
    0
    """
    v = sum(map(mul, row, p))
    return (v > 0) - (v < 0)


def box(lo: Sequence[Fraction], hi: Sequence[Fraction]) -> Polytope:
    """Build the box ``prod_i [lo_i, hi_i]`` as a polytope.

    Parameters
    ----------
    lo, hi : sequence of Fraction, shape (d,)
        Lower and upper bounds, ``lo_i < hi_i``.

    Returns
    -------
    Polytope
        ``2^d`` vertices; rows ``2 i`` (``x_i >= lo_i``) and ``2 i + 1`` (``x_i <= hi_i``).

    Examples
    --------
    >>> sq = box([Fraction(-1), Fraction(-1)], [Fraction(1), Fraction(1)])
    >>> sq.verts[3], bin(sq.tight[3])                 # the corner (1, 1): rows 1 and 3
    ((1, 1, 1), '0b1010')
    """
    d = len(lo)
    rows = []
    for i in range(d):
        e = [0] * (d + 1)
        e[i], e[d] = lo[i].denominator, -lo[i].numerator
        rows.append(tuple(e))
        e = [0] * (d + 1)
        e[i], e[d] = -hi[i].denominator, hi[i].numerator
        rows.append(tuple(e))
    verts, tight = [], []
    for corner in range(1 << d):
        bits = [(corner >> i) & 1 for i in range(d)]
        verts.append(point_from_fractions([hi[i] if b else lo[i] for i, b in enumerate(bits)]))
        tight.append(sum(1 << (2 * i + b) for i, b in enumerate(bits)))
    return Polytope(verts, tight, tuple(rows))


def vertex_masks(tight: Sequence[int], n_rows: int) -> list[int]:
    """Transpose the tight sets: for each row, the bit mask of the vertices it is tight at.

    Parameters
    ----------
    tight : sequence of int
        Tight set (bit mask over rows) of each vertex.
    n_rows : int

    Returns
    -------
    list of int
        Bit ``i`` of entry ``r`` is set iff row ``r`` is tight at vertex ``i``.

    Examples
    --------
    >>> vertex_masks([0b01, 0b11, 0b10], 2)
    [3, 6]
    """
    if len(tight) >= 64 and n_rows <= 64:  # the same, one numpy pass per row
        t = np.array(tight, dtype=np.uint64)
        return [int.from_bytes(np.packbits(((t >> np.uint64(r)) & np.uint64(1)).astype(np.uint8),
                                           bitorder="little").tobytes(), "little") for r in range(n_rows)]
    vm = [0] * n_rows
    for i, t in enumerate(tight):
        b = 1 << i
        while t:
            low = t & -t
            vm[low.bit_length() - 1] |= b
            t ^= low
    return vm


def _is_edge(m: int, pair: int, vm: list[int], everyone: int) -> bool:
    """Whether the vertices of ``pair`` are the only ones tight at every row of ``m``."""
    common = everyone
    while m:
        low = m & -m
        common &= vm[low.bit_length() - 1]
        if common == pair:
            return True
        m ^= low
    return common == pair


def _popcount64(x: np.ndarray) -> np.ndarray:
    """Count the set bits of each entry of a uint64 array (SWAR; numpy < 2 has no bitwise_count)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


_VECTOR_PAIRS = 1024
"""From this many vertex pairs on (and at most 64 rows), numpy finds the pairs sharing ``d - 1`` rows."""


def pair_table_bytes(n_pos: int, n_neg: int, n_rows: int) -> int:
    """Return the bytes :func:`split` certainly holds at once to pair the vertices on the two sides of a cut.

    From :data:`_VECTOR_PAIRS` pairs on (and at most 64 rows) the pairs are tested as one
    numpy ``uint64`` table; it and the first step of its popcount are held together: 16
    bytes a pair, a lower bound (further temporaries not counted).  Below, no table: 0.

    Parameters
    ----------
    n_pos, n_neg, n_rows : int
        Vertices strictly above and below the hyperplane; rows of the polytope.

    Returns
    -------
    int

    Examples
    --------
    >>> pair_table_bytes(2**19, 2**19, 40), pair_table_bytes(10, 10, 6)    # a 20-D box's first cut; few pairs
    (4398046511104, 0)
    """
    pairs = n_pos * n_neg
    return 16 * pairs if pairs >= _VECTOR_PAIRS and n_rows <= 64 else 0


def _candidate_pairs(T: list[int], pos: list[int], neg: list[int], n_rows: int, d: int
                     ) -> list[tuple[int, int]]:
    """List the pairs ``(u, v)`` of opposite vertices sharing ``>= d - 1`` tight rows (as an edge must)."""
    if pair_table_bytes(len(pos), len(neg), n_rows):   # the same switch as the memory estimate's
        tp = np.array([T[u] for u in pos], dtype=np.uint64)
        tn = np.array([T[v] for v in neg], dtype=np.uint64)
        i, j = np.nonzero(_popcount64(tp[:, None] & tn[None, :]) >= d - 1)
        return [(pos[a], neg[b]) for a, b in zip(i.tolist(), j.tolist())]
    tn = [(v, T[v]) for v in neg]
    return [(u, v) for u in pos for tu in (T[u],) for v, tv in tn if (tu & tv).bit_count() >= d - 1]


def _crossings(poly: Polytope, vals: list[int], pos: list[int], neg: list[int], bit: int, d: int
               ) -> tuple[list[HPoint], list[int]]:
    """Return the new vertices where the edges from ``pos`` to ``neg`` vertices cross the cut.

    Each gets the rows tight at both ends and the cut's ``bit``.
    """
    V, T = poly.verts, poly.tight
    vm: list[int] | None = None
    everyone = (1 << len(V)) - 1
    new_v, new_t = [], []
    for u, v in _candidate_pairs(T, pos, neg, len(poly.rows), d):
        m = T[u] & T[v]
        if T[u].bit_count() > d and T[v].bit_count() > d:   # both degenerate: ask the other vertices
            if vm is None:
                vm = vertex_masks(T, len(poly.rows))
            if not _is_edge(m, (1 << u) | (1 << v), vm, everyone):
                continue
        su, sv, pu, pv = vals[u], vals[v], V[u], V[v]
        new_v.append(primitive([su * b - sv * a for a, b in zip(pu, pv)]))
        new_t.append(m | bit)
    return new_v, new_t


def split(poly: Polytope, row: Row) -> tuple[int, Polytope | None, Polytope | None]:
    """Cut a polytope by the hyperplane ``row = 0``, exactly.

    Parameters
    ----------
    poly : Polytope
        A polytope of dimension ``d`` (or a face of one, with the rows that cut it out
        tight at all its vertices).
    row : Row
        The hyperplane, its ``a`` part not zero.

    Returns
    -------
    side : int
        ``1`` (or ``-1``) when no vertex is strictly below (above) the hyperplane: the
        polytope is not cut; ``0`` when every vertex is on it; ``2`` when cut.
    above, below : Polytope or None
        When cut: the parts where ``row >= 0`` and ``row <= 0``, each with the new row
        appended (``row`` and its negation), vertices on the hyperplane in both, the new
        vertices on the crossing edges, and complete tight sets.  Otherwise None.

    Notes
    -----
    ``O(V d)`` integer products for the signs, then for each pair of vertices on opposite
    sides a popcount and at most one mask AND per row tight at both: ``O(V^2 R)`` bit
    operations at worst for ``V`` vertices and ``R`` rows.

    Examples
    --------
    >>> sq = box([Fraction(-1), Fraction(-1)], [Fraction(1), Fraction(1)])
    >>> side, above, below = split(sq, (1, 1, 0))       # the diagonal x + y = 0
    >>> side, sorted(above.verts), sorted(below.verts)
    (2, [(-1, 1, 1), (1, -1, 1), (1, 1, 1)], [(-1, -1, 1), (-1, 1, 1), (1, -1, 1)])
    >>> split(sq, (1, 0, 1))[0]                         # x = -1: a side of the square
    1
    """
    d = len(row) - 1
    vals = [sum(map(mul, row, p)) for p in poly.verts]
    pos = [i for i, v in enumerate(vals) if v > 0]
    neg = [i for i, v in enumerate(vals) if v < 0]
    if not neg or not pos:
        return (1 if pos else (-1 if neg else 0)), None, None
    zero = [i for i, v in enumerate(vals) if v == 0]
    bit = 1 << len(poly.rows)
    new_v, new_t = _crossings(poly, vals, pos, neg, bit, d)
    V, T = poly.verts, poly.tight
    on_v = [V[i] for i in zero] + new_v
    on_t = [T[i] | bit for i in zero] + new_t
    above = Polytope([V[i] for i in pos] + on_v, [T[i] for i in pos] + on_t, poly.rows + (tuple(row),))
    below = Polytope([V[i] for i in neg] + on_v, [T[i] for i in neg] + on_t,
                     poly.rows + (tuple(-x for x in row),))
    return 2, above, below


def facet_rows(poly: Polytope) -> list[bool]:
    """Tell which rows of a full-dimensional polytope are facets (not redundant).

    Parameters
    ----------
    poly : Polytope

    Returns
    -------
    list of bool
        One per row: True iff the row's tight vertices form a facet.  Of several rows
        with the same facet, only the first is marked.

    Notes
    -----
    Combinatorial, hence exact: the sets of vertices where one row is tight are proper
    faces, every facet is one of them, and every proper face lies in a facet; so a
    row gives a facet iff its vertex set is nonempty and in no other row's set as a
    proper subset.  ``O(R^2)`` mask operations.

    Examples
    --------
    >>> sq = box([Fraction(-1), Fraction(-1)], [Fraction(1), Fraction(1)])
    >>> corner = Polytope(sq.verts, sq.tight, sq.rows + ((1, 1, 2),))   # x + y >= -2: one vertex
    >>> facet_rows(corner)
    [True, True, True, True, False]
    """
    vm = vertex_masks(poly.tight, len(poly.rows))
    out = []
    for r, m in enumerate(vm):
        ok = m != 0 and not any(m & o == m and (o != m or s < r) for s, o in enumerate(vm) if s != r)
        out.append(ok)
    return out


def interior_point(verts: Sequence[HPoint]) -> tuple[Fraction, ...]:
    """Return the average of the vertices: strictly inside a full-dimensional polytope.

    Parameters
    ----------
    verts : sequence of HPoint
        All vertices of a polytope (of a face: a point of its relative interior).

    Returns
    -------
    tuple of Fraction, shape (d,)

    Examples
    --------
    >>> interior_point([(0, 0, 1), (2, 0, 1), (0, 1, 1)])
    (Fraction(2, 3), Fraction(1, 3))
    """
    n = len(verts)
    d = len(verts[0]) - 1
    return tuple(sum((Fraction(p[k], p[-1]) for p in verts), Fraction(0)) / n for k in range(d))


def contains(rows: Sequence[Row], p: HPoint) -> int:
    """Place a point against the polytope ``{row >= 0}``, exactly.

    Parameters
    ----------
    rows : sequence of Row
    p : HPoint

    Returns
    -------
    int
        ``1`` strictly inside (every row ``> 0``), ``0`` on the boundary, ``-1`` outside.

    Examples
    --------
    >>> rows = box([Fraction(0)] * 2, [Fraction(1)] * 2).rows
    >>> contains(rows, (1, 1, 2)), contains(rows, (1, 0, 1)), contains(rows, (3, 0, 2))
    (1, 0, -1)
    """
    inside = 1
    for r in rows:
        s = row_sign(r, p)
        if s < 0:
            return -1
        inside = min(inside, s)
    return inside


def determinant(m: Sequence[Sequence[int]]) -> int:
    """Return the determinant of a square integer matrix, exactly (Bareiss elimination).

    Parameters
    ----------
    m : sequence of sequence of int, shape (n, n)

    Returns
    -------
    int

    Notes
    -----
    Fraction-free: every division is exact, so the entries stay integers of size
    ``O(n log(n max|m|))`` bits (Bareiss 1968).  ``O(n^3)`` products.

    Examples
    --------
    >>> determinant([[2, 1, 0], [1, 3, 1], [0, 1, 4]])
    18
    """
    a = [list(r) for r in m]
    n, sign, prev = len(a), 1, 1
    for k in range(n - 1):
        if a[k][k] == 0:
            swap = next((i for i in range(k + 1, n) if a[i][k] != 0), None)
            if swap is None:
                return 0
            a[k], a[swap] = a[swap], a[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                a[i][j] = (a[i][j] * a[k][k] - a[i][k] * a[k][j]) // prev
        prev = a[k][k]
    return sign * a[n - 1][n - 1] if n else 1


def rank(vectors: Sequence[Sequence[int]]) -> int:
    """Return the rank of a set of integer vectors, exactly (fraction-free elimination).

    Parameters
    ----------
    vectors : sequence of sequence of int, shape (k, n)

    Returns
    -------
    int

    Examples
    --------
    >>> rank([(1, 2, 3), (2, 4, 6), (0, 1, 1)]), rank([])
    (2, 0)
    """
    rows = [list(v) for v in vectors if any(v)]
    r = 0
    for col in range(len(rows[0]) if rows else 0):
        piv = next((i for i in range(r, len(rows)) if rows[i][col]), None)
        if piv is None:
            continue
        rows[r], rows[piv] = rows[piv], rows[r]
        p = rows[r]
        for i in range(r + 1, len(rows)):
            f = rows[i][col]
            if f:   # made primitive: else the entries double in length at every column (20 x 20: 1 min)
                rows[i] = list(primitive([a * p[col] - f * b for a, b in zip(rows[i], p)]))
        r += 1
    return r


def neighbours(poly: Polytope, u: int, vm: list[int] | None = None) -> list[int]:
    """Return the vertices joined to vertex ``u`` by an edge of the polytope.

    Parameters
    ----------
    poly : Polytope
    u : int
        A vertex index.
    vm : list of int, optional
        :func:`vertex_masks` of ``poly`` (passed when asking for many vertices).

    Returns
    -------
    list of int
        The other ends of the edges at ``u`` (the combinatorial test of :func:`split`).

    Examples
    --------
    >>> cube = box([Fraction(0)] * 3, [Fraction(1)] * 3)
    >>> [cube.verts[v] for v in neighbours(cube, 0)]
    [(1, 0, 0, 1), (0, 1, 0, 1), (0, 0, 1, 1)]
    """
    if vm is None:
        vm = vertex_masks(poly.tight, len(poly.rows))
    d = len(poly.verts[u]) - 1
    everyone = (1 << len(poly.verts)) - 1
    T = poly.tight
    return [v for v in range(len(T)) if v != u and (T[u] & T[v]).bit_count() >= d - 1
            and _is_edge(T[u] & T[v], (1 << u) | (1 << v), vm, everyone)]
